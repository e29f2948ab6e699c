//! Answers to the demo consultation's question "What one thing should we change first, and
//! why?", written the way residents write to a council.
//!
//! The evidence engine's own generator (`textkit::synth`) is deliberately noisy, to stress the
//! engine in benchmarks; quoted on the demo's review and results pages it reads as word salad,
//! and newcomers take the engine for broken. These answers are composed from hand-written
//! parts instead: an opener, a complaint, what it means in someone's life, an ask and a closer,
//! in one of a few tones, with the odd slip real people make, and about [`CAMPAIGN_SHARE`] of
//! them copies of three campaign letters, so the engine has real campaigns to find.
//!
//! Every part is a whole sentence, and every complaint is written so that it still reads
//! correctly after any prefix ("Honestly, …") or joiner ("Also …"): any composition is
//! grammatical. Parts are templates: `[a|b|c]` picks one option (`[a |]` makes a word
//! optional) and `{slot}` fills in a local detail (a place, a bus route, an age). That variety
//! matters beyond reading well: the engine takes three near-copies of one text for a campaign,
//! and answers drawn from fixed sentences would be full of them. What variety leaves, a guard
//! ([`Originality`]) catches.
//!
//! Theme indices and count match `textkit::synth` (buses, GP, libraries, roads, council tax,
//! bins, care, housing): the demo maps them to the priority question's options, and each
//! theme keeps the words `nice_label` looks for in the engine's keywords. Words that would
//! trip its substring tests in another theme ("business" holds "bus", "taxi" "tax", "scared"
//! "care", "household" "hous") are kept out of the themes they would mislabel.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use textkit::rng::Rng;

/// One generated answer with what it was written about.
#[derive(Debug, Clone)]
pub struct Answer {
    /// What the resident wrote.
    pub text: String,
    /// Written on behalf of an organisation rather than as an individual.
    pub organisation: bool,
    /// Index into the themes (the same indices as `textkit::synth`).
    pub theme: usize,
    /// Index of the campaign letter, when the answer is a copy of one (ground truth for the
    /// tests: the demo lets the engine find campaigns).
    #[allow(dead_code)]
    pub campaign: Option<usize>,
}

/// Share of answers that are campaign copies.
pub const CAMPAIGN_SHARE: f64 = 0.06;

/// Share of ordinary answers written on behalf of an organisation.
const ORGANISATION_SHARE: f64 = 0.1;

/// The parts answers about one theme are composed from.
struct Theme {
    /// How people name the theme ("For me it has to be {topic}.").
    topic: &'static str,
    /// What is wrong: a sentence starting with a capitalised common word (so that it can be
    /// lower-cased after a prefix).
    complaints: &'static [&'static str],
    /// What it means in someone's life; reads after any of the theme's complaints.
    consequences: &'static [&'static str],
    /// What the council should do.
    asks: &'static [&'static str],
    /// A whole answer in a few words: noun phrases, ended by any of [`SHORT_ENDINGS`].
    wishes: &'static [&'static str],
}

const THEMES: [Theme; 8] = [
    Theme {
        topic: "[the buses|the bus service|bus services]",
        complaints: &[
            "The evening buses [were cut|got cut|were axed] [last year|in the spring|after Christmas] and the last [one|bus] [from town|back from the town centre] [now leaves|goes] at [ten past six|twenty to seven|quarter past six|half six].",
            "The number {route} [bus |]is [late|running late|late or cancelled] more often than [it's on time|not][, especially in the mornings|, especially at school time|].",
            "There [is no bus at all|isn't a single bus|are no buses] [from|to|through] {area} on a Sunday[ any more|, which is ridiculous|].",
            "The bus timetable [keeps changing|has changed three times this year|changes every few months] and [nobody tells you|you only find out|there's no warning] until the bus [doesn't turn up|never comes|just doesn't come].",
            "Buses on the {area} route [come in threes and then nothing for an hour|turn up two at a time and then there's nothing for an hour|are either bunched together or not there at all][, especially at rush hour|].",
            "A return bus fare [into town|to the town centre] [costs more than parking now|is now more than it costs to park|has gone up to {fare}][, so why would anyone take the bus|].",
            "The [live|real-time] [board|display|screen] at the bus [station|stop on {street}] has been [wrong|broken|blank] for [months|as long as I can remember|over a year].",
            "The {route} [bus |]doesn't [connect with|line up with] the trains, so you miss [them|your train|the connection] by [a couple of|two or three|five] minutes [every time|most days].",
            "The bus to the hospital only [runs|comes] every [two hours|hour and a half][, and not at all after five|, and never on time|].",
            "The number {route} was [cut back|reduced] to one bus an hour and it's [always|usually|often] [full|packed] by the time it [reaches|gets to] {area}.",
        ],
        consequences: &[
            "I work [shifts|late shifts|nights] [at the hospital|in a warehouse|in a supermarket|at the retail park] and [end up paying|have to pay] for a taxi home, which I [can't really afford|really can't afford|can't keep doing].",
            "[My daughter can't get to college|My son can't get to sixth form|My grandson can't get to his apprenticeship] on time without a lift[ from me| from us|][, and I can't always do it|].",
            "Older people [on our street|in {area}|I know] are [stuck indoors|stuck at home|cut off] once it gets dark[ in the winter|].",
            "I have missed [two|three|a couple of] [hospital appointments|appointments at the hospital] because the bus [didn't turn up|never came|was cancelled|was late].",
            "If you don't drive [out here|in {area}|round here] you are [basically|pretty much|completely] cut off[ after six|].",
            "Young people [can't get to|can't rely on getting to] jobs [in town|on the retail park], so they [don't take them|end up not bothering|turn them down].",
            "People give up on the [bus|buses] and [drive|take the car] instead, which [just makes the traffic worse|makes the traffic even worse|is the opposite of what you want].",
            "I'm {age} and [gave up|stopped] driving [last year|a few years ago|after my stroke], so the bus is [all I have|my only way of getting about|my lifeline].",
        ],
        asks: &[
            "Please [bring back|restore] the evening buses[, even if it's only one an hour|, at least until ten o'clock|, they're a lifeline|].",
            "[Put|Get] the buses back to every [half hour|twenty minutes] [during the day|in the daytime][ like they used to be|].",
            "[Make the bus company|Get the bus company to] [stick to|keep to] the timetable[ or fine them|, or find one that will| or take the contract off them].",
            "[Cap|Freeze] bus fares for [young people and pensioners|under-21s and pensioners|students and pensioners][ at the very least|].",
            "Run at least [a few|two or three|some] buses [from|to] the villages on a Sunday[, even just in the daytime|].",
            "[Fix|Sort out] the [real-time|live] information so we know when the next bus is [actually|really] [coming|due].",
            "We need a bus [to the hospital|to the hospital and back|between {area} and the hospital] at least every hour[, all day|, seven days a week|].",
        ],
        wishes: &[
            "More buses in the evening",
            "Evening buses back",
            "Buses that turn up on time",
            "Sunday buses for the villages",
            "Cheaper bus fares",
            "A bus service you can rely on",
            "Buses after six o'clock",
        ],
    },
    Theme {
        topic: "[getting a GP appointment|GP appointments|seeing a doctor]",
        complaints: &[
            "Getting a GP appointment is [impossible|a nightmare|next to impossible|a joke] unless you [ring|phone] at eight on the dot[ and get lucky|].",
            "The phone queue at [the|our] surgery is [over an hour|forty minutes or more|an hour and a half] [most mornings|every morning|on a Monday].",
            "The wait for a [routine|normal|non-urgent] GP appointment at [our|my] surgery is [now |]{weeks} weeks[, if you can get one at all|].",
            "You can't [book|get] a GP appointment [online|through the app] any more[, it's phone only|, it's all phone calls at eight|, you have to ring|].",
            "Once you [do get to see|finally see|eventually see] a doctor, the wait for a [hospital referral|referral to the hospital|scan] is [months|over a year|ridiculous].",
            "The surgery on {street} [closed|shut|merged] and [everyone was moved|we were all moved|all its patients went] to one on the other side of town.",
            "[There are never any appointments|There's never an appointment] left by the time you [get through to|get hold of] [the surgery|reception|anyone at the surgery][, even at five past eight|].",
            "Our surgery has lost [two|three|four] GPs [in two years|since last year|recently] and they [haven't been|were never|still haven't been] replaced.",
            "Trying to see the same GP twice is [impossible|a lottery|unheard of] at [our|my] surgery[ now|].",
            "The receptionists at [the|our] surgery [ask what's wrong|want to know everything|ask for your whole history] before you can even [get|book] an appointment[, which isn't their job|, which puts people off|].",
        ],
        consequences: &[
            "My [mum|nan] is {age} and ended up in A&E because she couldn't see her own doctor[ for weeks|].",
            "People end up [going to|in|sitting in] A&E [for things|with problems] a GP could sort out in [five minutes|a quick appointment].",
            "I work full time and [can't|simply can't|just can't] sit on the phone from eight every morning[ hoping to get through|].",
            "I [waited|had to wait] so long with my [back|knee|chest infection] that I [had to take|ended up taking] time off work.",
            "Older people who aren't online are the ones who [lose out|suffer|get left behind][ every time|, as usual|].",
            "By the time you [are seen|get seen|finally get in], the problem has [got worse|often got worse|usually got worse].",
            "My [son|daughter|little boy] has [asthma|eczema|diabetes] and we never see the same doctor twice[, so we explain it all again every time|].",
            "I gave up [in the end|eventually] and paid to go private, which I [really |]can't afford[ on a pension|].",
        ],
        asks: &[
            "Please let [people|us] book GP appointments online again[, and not just at eight in the morning|, it was much easier|].",
            "[Hire|Get|Recruit] more GPs and nurses, [whatever it takes|whatever is necessary][, this can't go on|].",
            "Let pharmacists deal with [minor things|minor illnesses|the simple stuff] so the surgery can see people who [really |]need a doctor.",
            "The surgery should [call people back|ring people back] instead of leaving them in a queue[ for an hour| for ages|].",
            "Keep some appointments [back |]for people who can't [ring|phone] at eight[, like shift workers|].",
            "Open the surgery on [Saturday mornings|a Saturday|some evenings] for people who [work|work full time|can't get there in the day].",
            "[Put money into|Find the money for] GP surgeries [before anything else|first][, people's health matters most|].",
        ],
        wishes: &[
            "Easier GP appointments",
            "Being able to see a GP",
            "More doctors at the surgery",
            "Appointments at the surgery you can actually get",
            "Shorter waits at the surgery",
            "A GP appointment within a week",
        ],
    },
    Theme {
        topic: "[the library|libraries|our library]",
        complaints: &[
            "The library on {street} is only open [three|two] days a week now[, and never at weekends|].",
            "The library is [shut|closed] in the evenings and on Saturdays, which is exactly when working [families|parents|people] could [go|use it].",
            "The mobile library [hasn't been to|hasn't stopped in|hasn't come to] {area} [since last year|for months|since the cuts].",
            "The library has lost [most of its staff|half its staff|its best staff] and the ones [left|who are left|still there] are [run off their feet|doing three jobs|exhausted].",
            "Half the computers [in|at] the library [don't work|are broken|are out of order] and you can only [book|have] [an hour|one hour|forty minutes] at a time.",
            "The children's [section|area] at the library hasn't had [new books|anything new|a proper update] in [years|ages|a long time].",
            "[The library|Our library|The branch library] is [under threat|facing closure|at risk] again[, for the third time|, for the second time in five years|].",
            "The [library's opening hours|opening hours at the library|library hours] have been cut [twice in two years|twice in three years|again and again][ and nobody asked us|].",
            "The library in {area} [closed|shut] [last year|two years ago] and the nearest one is [miles away|a long walk away|hard to get to].",
            "[Library staff|Most of the library staff|The librarians] have been replaced by [self-service machines|a machine] that [half the people who go there|most older people] [can't use|struggle with].",
        ],
        consequences: &[
            "It is the only warm, free place [some people|a lot of people|many older people] have to go [during the day|in the winter].",
            "My kids [did|do] their homework there because we [haven't got|don't have] a [printer|computer] at home.",
            "Older people who aren't online rely on the library to [fill in forms|apply for things|get help with the internet].",
            "I used it to look for work when I was made redundant[, and I got a job through it|, and the staff were brilliant|].",
            "The reading groups and rhyme time for [babies|toddlers] are what keep [some people|a lot of lonely people|new mums] going.",
            "Students [have nowhere quiet to study|need somewhere quiet to work][, especially at exam time|].",
            "Once a library [goes|closes] it never comes back[, we all know that|].",
            "It's [a lifeline|the heart of the community|the only community space left] for [lonely people|older people|young mums|lots of people].",
        ],
        asks: &[
            "Please open the library [on Saturdays|at weekends] and at least [one evening|two evenings] a week[, even if it's self-service|].",
            "Keep [the|our] library open and [properly staffed|staffed by people who know what they're doing][, whatever else you cut|].",
            "Bring the mobile library back to [the villages|{area}|the outlying villages][, people miss it|].",
            "Spend a bit more on [books|new books] and [fix|replace] the library computers.",
            "Run homework clubs [at|in] the library after school[ and in the holidays|].",
            "Let volunteers help[ out|], but don't use them as an excuse to cut [library staff|the paid staff at the library].",
            "[Don't|Please don't] close the library, [cut something else|find the money somewhere else].",
        ],
        wishes: &[
            "Longer library opening hours",
            "The library open on Saturdays",
            "Keeping our library open",
            "More books for the library",
            "A properly staffed library",
            "Library computers that work",
        ],
    },
    Theme {
        topic: "[the roads|potholes|the state of the roads]",
        complaints: &[
            "The potholes on {street} are getting [worse|bigger|deeper] every winter[ and nobody fixes them properly|].",
            "The roads [around here|in {area}|in this town] are in a [terrible|shocking|dreadful] state and [get patched|are patched] rather than [fixed|repaired properly].",
            "The cycle lane on {street} just stops at the junction and [leaves you|dumps you] in the [traffic|middle of the traffic].",
            "The pavements [near the school|on {street}|outside the shops] are [broken|cracked and uneven|in a state] and cars park all over them[ at pick-up time|].",
            "Potholes get reported [online|on the app|again and again] and then [nothing happens|nobody comes] for [months|weeks on end].",
            "[Half the|Most of the|Several] street lights on our road have been [out|broken|off] since [the autumn|last winter|October].",
            "[Cars go|Traffic goes|Drivers go] [far|way] too fast on the road past the [school|primary school][, especially in the mornings|].",
            "There is no safe cycle route into town from {area}[, just a painted line in places|].",
            "Roadworks on {street} have been [going on|dragging on] for [months|most of the year] with [no one working on them most days|nobody there half the time].",
            "The road into {area} is [more pothole than road|like a farm track|a patchwork of repairs] [now|these days].",
        ],
        consequences: &[
            "I came off my bike [last month|in the winter|last year] because of a pothole I couldn't see[ in the dark|].",
            "My [neighbour|husband|mum] [is in|uses] a wheelchair and has to go in the road to get past.",
            "I've had [two|three] tyres [ruined|wrecked] this year and [the council says it isn't liable|I was told the council isn't liable].",
            "I would [cycle|ride my bike] to work but it [just|simply] isn't safe[ with the traffic|].",
            "[Parents|A lot of parents] drive their [children|kids] to school because walking feels too dangerous, which [makes it worse|only makes it worse|makes the traffic worse].",
            "Somebody is going to get [seriously hurt|killed|badly injured] before anything is done[, mark my words|].",
            "Older people [won't go out|stay in] after dark because they're [frightened|afraid|nervous] of falling.",
        ],
        asks: &[
            "Please fix the potholes properly instead of [filling them|patching them] and coming back in [six months|a year].",
            "Build cycle lanes that are [properly |]separate from the traffic and [actually join up|go somewhere useful].",
            "Repair the worst roads first and [publish the list|tell us when they'll be done][, instead of patching the good ones|].",
            "Bring in a 20 mph limit on the roads [near schools|around the schools|in residential areas].",
            "Fix the [street lights|broken street lights] and the pavements before [starting|spending money on] anything new.",
            "Put in a safe cycle route between {area} and the town centre[, away from the main road|].",
            "[Get|Send] someone out to look at the road surface on {street}[, it's an accident waiting to happen|].",
        ],
        wishes: &[
            "Potholes fixed properly",
            "Proper cycle lanes",
            "Roads without potholes",
            "Safer roads near the schools",
            "Pavements you can walk on",
            "A safe cycle route into town",
        ],
    },
    Theme {
        topic: "[council tax|the budget|where the money goes]",
        complaints: &[
            "Council tax goes up every [year|single year] while [services get worse|we get less for it|nothing gets better][, it's not fair|].",
            "[Too much|Far too much] of the budget goes on [consultants and new offices|consultants|agency staff and consultants][ and not enough on services|].",
            "Nobody [can tell me|seems to know|will tell me] where [my|our] council tax [actually goes|goes|ends up].",
            "The budget [seems to go|goes|gets spent] on schemes nobody asked for while the basics are [left|ignored|falling apart].",
            "Council tax on a [small|two-bedroom|tiny] flat is now over {monthly} a month[, which is a lot for what we get|].",
            "[Small shops|Independent shops|Local traders] on the high street are being taxed out of existence[ by the rates|, and council tax keeps rising too|].",
            "[Money|Too much money] in the budget is [being wasted|wasted] on [glossy leaflets and rebranding|glossy magazines nobody reads|rebranding and new logos].",
            "Council tax has gone up [five|six|nearly five] per cent again and [I can't see a single thing that's better|nothing has improved|things are worse].",
            "The council spent [a fortune|millions|a small fortune] on [new offices|doing up the town hall] while cutting the budget for [everything else|the things people use].",
        ],
        consequences: &[
            "I'm a pensioner on a fixed income and every [rise|increase] [hurts|really hurts|means cutting back somewhere else].",
            "We are a working family[ with two kids| on two wages|] and [we're having to|we have to] choose what to cut back on.",
            "[People|Most people] would [accept|put up with] paying more if they could see where [it went|the money went|it was going].",
            "It feels like we pay more every year and get less[ back| for it][, and I'm not the only one|].",
            "Every pound wasted[ on vanity projects|] is a pound not spent on the things we [rely on|actually need|use every day].",
            "[Half the|A lot of] people on my street are struggling [with bills already|to pay their bills as it is].",
        ],
        asks: &[
            "Freeze council tax [this year|for a year|for once] and live within the budget like the rest of us [have to|do].",
            "Publish where every pound of [council tax|our council tax] goes, in plain English[, on one page|, online|].",
            "Stop paying [consultants|outside consultants] and [use|trust] your own staff[, they know the job|].",
            "[Cut|Sort out] the waste before you cut [services|anything else|front-line services].",
            "Give the [high street shops|small shops in town] a break on their rates[ before they all close|].",
            "Put the budget into the basics [first|before anything else][ and stop the vanity projects|, not pet projects|].",
        ],
        wishes: &[
            "A council tax freeze",
            "Lower council tax",
            "Less waste in the budget",
            "Value for our council tax",
            "A budget spent on the basics",
            "Honesty about where the money goes",
        ],
    },
    Theme {
        topic: "[the bins|bin collections|recycling]",
        complaints: &[
            "[Bin collections|Our bin collections|Black bin collections] went to every three weeks and it [just|simply|really] isn't enough for a [family|family of four].",
            "The recycling[ on our street| in {area}|] [often isn't collected|gets missed half the time|is missed every other week] and nobody [tells you why|says why|explains why].",
            "Bins on [our street|{street}] are left [out|on the pavement] for days after a missed collection[ and they blow everywhere|].",
            "The [charge|new charge|fee] for garden waste means people [just stopped|have stopped] using the brown bin[ and burn it instead| and dump it instead|].",
            "Fly-tipping in the lanes around {area} is [worse than I've ever seen it|getting worse every month|out of control].",
            "The tip is [closed|shut] [two days a week|on Tuesdays and Wednesdays] and the queue to get in is [ridiculous|an hour long|silly at weekends].",
            "Half of what [I put|goes] in the recycling bin apparently can't be recycled [here|in this area][, according to the leaflet|].",
            "There's [no food waste collection|still no food waste collection], so [it all goes|everything goes] in the [black bin|general waste][ and ends up in landfill|].",
            "The bin crews [leave|drop] [half the rubbish|rubbish|litter] on the pavement when they empty the bins[ and never pick it up|].",
            "Recycling collections on {street} have been missed [three|four|several] times since [Christmas|the summer].",
        ],
        consequences: &[
            "We end up with bags of rubbish in the [garden|yard] and the [foxes|gulls|cats] get into them.",
            "The street [looks a mess|looks awful] and it [attracts rats|brings the rats out|smells in the summer].",
            "People who can't get to the tip [just|simply] dump [stuff|their rubbish] in the lanes[ instead|].",
            "I [want|really want] to recycle properly but you make it [really hard|so difficult|a nightmare].",
            "With [two|three] kids and nappies, the bin is full within a [week|few days].",
            "It makes the whole area feel [neglected|run down|scruffy].",
            "Our street has a lot of flats and the [communal|shared] bins are [always|constantly] overflowing[ by the weekend|].",
        ],
        asks: &[
            "Go back to [collecting|emptying] the [bins|black bins] every [fortnight|two weeks][ at least|, like it used to be|].",
            "[Scrap|Drop] the garden waste charge, it's [costing more|costing you more] in fly-tipping than it brings in.",
            "Fine the fly-tippers [properly|heavily] and put [cameras|CCTV] up[ in the lanes|].",
            "Open the tip [every day|seven days a week] and [later|longer] [at weekends|in the summer][, it's not hard|].",
            "[Start|Bring in] a [weekly|proper] food waste collection like other councils [do|have done for years].",
            "Tell us [clearly|once and for all] what can go in the [recycling|recycling bin] and [stick to it|stop changing it].",
        ],
        wishes: &[
            "Fortnightly bin collections",
            "Recycling that actually gets collected",
            "A weekly food waste collection",
            "No charge for garden waste",
            "Less fly-tipping",
            "Bins emptied on the right day",
        ],
    },
    Theme {
        topic: "[care for older people|social care|home care]",
        complaints: &[
            "[Home care visits|Care visits at home|Visits from home carers] are so short that [carers are|the carer is] in and out in [fifteen|ten] minutes[, without time to talk|].",
            "The day centre in {area} is closing and there is nothing to replace it[, nothing at all|].",
            "The [waiting list|wait] for a [care assessment|social care assessment] is [months|over six months] long[, and people get worse while they wait|].",
            "[Unpaid carers|Family carers|Carers] get no proper breaks, and no help [unless|until] they're at breaking point[ themselves|].",
            "Care workers are paid so little that they keep leaving[ for supermarket jobs| for better-paid work|][, and nobody replaces them|, and agencies fill the gaps|].",
            "It's a different care worker [at every visit|every time|most days], so nobody [gets to know|really knows] the person they're caring for.",
            "[Getting help|Getting any help|Getting a straight answer] from adult social care is like banging your head against a [brick |]wall.",
            "There aren't enough care home places [locally|round here|in this area], so [families are|people are|older people are] [sent|placed] miles away.",
            "[Care visits|Visits from carers] are [often|regularly|always] late or [missed|cancelled] with no phone call[ to say so|].",
        ],
        consequences: &[
            "My [mum|dad] is {age} and has a care visit that barely leaves time to make [a cup of tea|a sandwich].",
            "I look after my [husband|wife|son] full time and haven't had a day off in [two|three|four] years.",
            "Older people end up in hospital because nobody [noticed|had time to notice] they weren't eating[ or drinking|].",
            "[Families|Relatives] are [exhausted|at the end of their tether] and some are giving up [their jobs|work] to cope.",
            "My dad goes to the day centre [twice|three times] a week and it's the only time he [talks to anyone|gets out|sees his friends].",
            "People are stuck in hospital [beds|for weeks] because there's no care [to send them home to|in place at home].",
            "Care workers [do an amazing job|are wonderful] but they're [worn out|run ragged|exhausted].",
        ],
        asks: &[
            "Pay care workers [properly|a decent wage][, and pay them for their travel time|, at least the real living wage|].",
            "Keep the day centre [in {area} |]open[, people depend on it|, it's a lifeline|].",
            "Give unpaid carers [regular breaks they can actually rely on|a proper break now and then|some respite].",
            "Make home care visits long enough to do the job [with some dignity|properly][, not fifteen minutes|].",
            "Put [money|more money] into care at home before people end up in hospital[, it's cheaper in the end|].",
            "Speed up care assessments[, families can't wait months|, people are waiting far too long|].",
        ],
        wishes: &[
            "Better care for older people",
            "Keeping the day centre open",
            "Support for carers",
            "Longer home care visits",
            "Proper pay for care workers",
            "Care visits that happen when they should",
        ],
    },
    Theme {
        topic: "[housing|affordable housing|the housing situation]",
        complaints: &[
            "There is [no|hardly any] affordable housing for young people who [grew up|were born] [here|in the town].",
            "Hundreds of new houses are going up [in|around] {area} with no extra school places or doctors.",
            "The waiting list for [social housing|a council house] is [years long|longer than ever|hopeless][, unless you're in crisis|].",
            "There are empty houses on {street} that have been boarded up for [years|as long as I can remember].",
            "[Private rents|Rents in the town] have gone up so much that renting [a house|a flat] here takes [most of a wage|half your wages|nearly everything you earn].",
            "New housing estates [are built|go up|keep going up] without [shops, schools|a shop, a school] or anywhere [to meet|for kids to play].",
            "The few [affordable|so-called affordable] houses that [get built|are built] [here |]are not affordable on local wages[ at all|].",
            "Council housing repairs take [forever|months] and tenants are [living|left living] with damp and mould[ in the meantime|].",
            "House prices [here |round here |]are [ten|twelve|fifteen] times what a [local job|typical job] pays.",
        ],
        consequences: &[
            "My [son|brother] is {grown} and still living [with us|at home] because he can't afford anywhere.",
            "Young families are [leaving the town|moving away] and the [schools|local schools] are losing children.",
            "We've been on the housing list for {waited} years with [two children|a toddler and a baby] in a one-bedroom flat.",
            "Key workers like [nurses and teachers|nurses and police officers|teachers and nurses] can't afford to live [where they work|in the town they work in].",
            "[Friends of mine|Half my friends] have had to move away to find somewhere they can afford[ to rent|].",
            "It's not right that houses sit empty while [people|families] are in temporary accommodation[ for months|].",
            "My daughter and her partner both work [full time |]and still can't [save for|afford] a deposit[ on a house|].",
        ],
        asks: &[
            "Build more [social housing|council housing], not just 'affordable' homes [nobody local can afford|that local people can't afford].",
            "Make sure [schools and doctors|school places and doctors] come before the new houses, not [after|years after].",
            "Bring the empty houses [on {street} |in town |]back into use[, with compulsory purchase if you have to|].",
            "[Protect|Leave alone] the green fields and build [on brownfield sites|on the old industrial sites] first.",
            "Sort out the repairs [on|in] council housing before [building|spending on] anything new[, people are living with damp|].",
            "Put [local people|people who grew up here] first on the housing list[ for once|].",
        ],
        wishes: &[
            "More affordable housing",
            "Social housing for local people",
            "Houses young people can afford",
            "Empty houses brought back into use",
            "Schools and doctors before new houses",
            "Fair rents and more social housing",
        ],
    },
];

/// How a wish becomes a whole answer ("Cheaper bus fares please.").
const SHORT_ENDINGS: &[&str] = &[
    ".",
    ".",
    " please.",
    ", please.",
    "!",
    ". That's all I ask.",
    " would be a start.",
    ", more than anything.",
    ", simple as that.",
    ". Thank you.",
];

/// The tone an individual writes in: how they open, lead into a complaint and sign off.
struct Voice {
    /// Relative frequency.
    weight: usize,
    /// Sentences before the complaint (`{topic}` is the theme's).
    openers: &'static [&'static str],
    /// Lead-ins to a complaint, which follows lower-cased.
    prefixes: &'static [&'static str],
    /// Last sentences.
    closers: &'static [&'static str],
}

const VOICES: &[Voice] = &[
    // Plain: says what matters and stops.
    Voice {
        weight: 35,
        openers: &[
            "For me it has to be {topic}.",
            "Top of my list is {topic}.",
            "{topic}, without a doubt.",
            "Easy question: {topic}.",
        ],
        prefixes: &[
            "I think ",
            "In my view ",
            "For me, ",
            "The main thing is that ",
        ],
        closers: &[
            "That's my main point.",
            "That's all really.",
            "That's what matters most to me.",
        ],
    },
    Voice {
        weight: 20,
        openers: &[
            "Thank you for the chance to comment.",
            "Thanks for asking for our views.",
        ],
        prefixes: &[
            "I would say that ",
            "Personally I think ",
            "If I'm honest, ",
        ],
        closers: &[
            "Thank you for reading this.",
            "Many thanks.",
            "I'd be grateful if someone could look into it.",
            "Thank you for the chance to have a say.",
        ],
    },
    Voice {
        weight: 20,
        openers: &[
            "Where do I even start?",
            "I'm fed up, to be honest.",
            "I've had enough of this.",
        ],
        prefixes: &[
            "Frankly, ",
            "Honestly, ",
            "It's a joke that ",
            "I can't believe ",
        ],
        closers: &[
            "It's a disgrace.",
            "Sort it out!",
            "Frankly it's a joke.",
            "We pay enough for it as it is.",
            "This definitely needs sorting out now, not in five years.",
            "Sick of it.",
        ],
    },
    Voice {
        weight: 12,
        openers: &[
            "I doubt this will make any difference, but here goes.",
            "I've said this in every consultation so far.",
        ],
        prefixes: &[
            "Sadly, ",
            "As far as I can see, ",
            "I know the government has cut your money, but ",
        ],
        closers: &[
            "Not that anything will change.",
            "I've said all this before.",
            "I don't suppose anyone will read this.",
            "We'll see.",
        ],
    },
    Voice {
        weight: 13,
        openers: &[
            "First of all, thank you for asking.",
            "Thanks for running this consultation.",
        ],
        prefixes: &[
            "I know you're doing your best, but ",
            "I know money is tight, but ",
        ],
        closers: &[
            "Thanks for asking.",
            "I know money is tight, so thank you for listening.",
            "The staff do their best and it's appreciated.",
            "Keep up the good work on everything else.",
        ],
    },
];

/// Who the writer is, in any tone.
const INTRODUCTIONS: &[&str] = &[
    "I have lived in {area} for {lived} years.",
    "I've lived on {street} [all my life|since I was a child].",
    "I'm a [mum of two|dad of three|grandmother|single parent] in {area}.",
    "I'm retired and live on my own in {area}.",
];

/// Lead-ins to a second point about another theme, which follows lower-cased.
const JOINERS: &[&str] = &[
    "Also ",
    "And ",
    "The other thing is that ",
    "While I'm at it, ",
    "On top of that, ",
];

/// An organisation writes as "we", about its members rather than a family.
const ORGANISATIONS: &[&str] = &[
    "the Riverside Tenants' Association",
    "the Northfield Residents' Group",
    "the Castle Hill Community Association",
    "the Friends of Oakwood Park",
    "the Westbury Over-60s Club",
    "the Brook Green Good Neighbours scheme",
];
const ORGANISATION_INTROS: &[&str] = &[
    "I am responding on behalf of {organisation}.",
    "This is the response of {organisation}.",
    "We are {organisation}, a volunteer group with about {members} members.",
];
const ORGANISATION_PREFIXES: &[&str] = &[
    "Our members tell us that ",
    "The main concern our members raise is that ",
    "Residents we work with say that ",
];
const ORGANISATION_EVIDENCE: &[&str] = &[
    "This comes up at every meeting we hold.",
    "Our members raise this more than anything else.",
    "We hear this from older members in particular.",
    "We surveyed our members and [two thirds|over half] put this first.",
];
const ORGANISATION_CLOSERS: &[&str] = &[
    "We would welcome the chance to discuss this further.",
    "Thank you for consulting us.",
    "We are happy to help the council with this.",
];

/// Slips people make (right, wrong), applied to the first occurrence; each pair's right form
/// appears in some part above.
const MISSPELLINGS: &[(&str, &str)] = &[
    ("definitely", "definately"),
    ("government", "goverment"),
    ("necessary", "neccessary"),
    ("separate", "seperate"),
    ("because", "becuase"),
    ("until", "untill"),
    ("really", "realy"),
    ("accommodation", "accomodation"),
    (" a lot ", " alot "),
    ("their", "thier"),
    ("don't", "dont"),
    ("can't", "cant"),
    ("it's", "its"),
    ("I'm", "Im"),
];

/// A campaign's template letter, sent in near-verbatim by its supporters.
struct Letter {
    /// Theme index the letter is about.
    theme: usize,
    /// Relative size of the campaign.
    weight: usize,
    sentences: &'static [&'static str],
    /// Personal first lines supporters add.
    personal: &'static [&'static str],
}

const LETTERS: &[Letter] = &[
    Letter {
        theme: 2,
        weight: 3,
        sentences: &[
            "I am writing to oppose any cut to the opening hours or staffing of our branch library.",
            "The library is used every day by children after school, by older people who are not online and by people looking for work.",
            "For many residents it is the only warm, free and safe place to spend time.",
            "Cutting its hours would save very little money and cost our community a great deal.",
            "I ask the council to keep the library open six days a week and properly staffed, and to rule out closure in this plan.",
        ],
        personal: &[
            "I [use|visit] the library [every week|most weeks] with my [two|three] children.",
            "I am {age} and the library is where I [read the paper|use the computer].",
        ],
    },
    Letter {
        theme: 0,
        weight: 2,
        sentences: &[
            "As a supporter of the Save Our Buses campaign, I urge the council to restore the evening bus services that were cut last year.",
            "Since the cuts, the last bus from the town centre leaves before half past six.",
            "Shift workers, students and older residents now have no way to get home in the evening and are forced to pay for taxis they cannot afford.",
            "A town without evening buses is closed to anyone who does not drive.",
            "Please restore the evening services on all routes before any other changes to the bus network are made.",
        ],
        personal: &[
            "I [rely on|depend on] the number {route} to get to work.",
            "I don't drive and the bus is how I get [everywhere|to the shops and the doctor].",
        ],
    },
    Letter {
        theme: 7,
        weight: 1,
        sentences: &[
            "We the undersigned residents object to the plan to build four hundred houses on the green fields north of Northfield.",
            "Local schools are already full and the nearest health centre has a waiting list of several weeks.",
            "The infrastructure must come first, not years after the houses are sold.",
            "Any new housing must include a fair share of social housing for local people.",
            "We ask the council to remove the site from the local plan until these conditions are met.",
        ],
        personal: &[
            "I live [next to|opposite|a few minutes from] the fields in question.",
            "My children [go|went] to Northfield Primary, which is already full.",
        ],
    },
];

/// First lines any campaign supporter might add.
const FIRST_LINES: &[&str] = &[
    "Dear Councillors,",
    "I have lived in {area} for {lived} years.",
    "Please read this.",
];
const SIGN_OFFS: &[&str] = &[
    "Yours faithfully, {name}",
    "{name}, {area}",
    "Thank you, {name}",
    "Regards, {first}",
];

const AREAS: &[&str] = &[
    "Northfield",
    "Westbury",
    "Oakwood",
    "Brook Green",
    "Riverside",
    "Castle Hill",
    "Millbrook",
    "Ashby",
];
const STREETS: &[&str] = &[
    "Mill Lane",
    "Church Street",
    "Station Street",
    "Elm Grove",
    "Victoria Avenue",
    "Park Crescent",
    "Queen's Walk",
    "the high street",
];
const ROUTES: &[&str] = &["4", "7", "12", "15", "23", "X5", "31"];
const FIRST_NAMES: &[&str] = &[
    "Margaret", "John", "Priya", "David", "Susan", "Mohammed", "Karen", "Tom", "Aisha", "Peter",
    "Linda", "Gareth", "Joanne", "Kwame", "Helen",
];
const LAST_NAMES: &[&str] = &[
    "Hill", "Patel", "Jones", "Walker", "Khan", "Roberts", "Evans", "Green", "Hughes", "Ali",
    "Taylor", "Clarke",
];

/// Generates `count` answers; about [`CAMPAIGN_SHARE`] of them are copies of the campaign
/// letters. The same seed gives the same answers.
pub fn generate(count: usize, seed: u64) -> Vec<Answer> {
    let mut rng = Rng::new(seed);
    let mut written = Originality::default();
    (0..count)
        .map(|_| {
            if rng.next_f64() < CAMPAIGN_SHARE {
                let c = weighted(&mut rng, LETTERS.iter().map(|l| l.weight));
                return Answer {
                    text: campaign_copy(&LETTERS[c], &mut rng),
                    organisation: false,
                    theme: LETTERS[c].theme,
                    campaign: Some(c),
                };
            }
            let theme = rng.below(THEMES.len());
            let organisation = rng.next_f64() < ORGANISATION_SHARE;
            // Drawn once: redrawing the wording of an answer too close to another must not
            // change how long answers are or how they sound (short ones would win).
            let shape = Shape::draw(organisation, &mut rng);
            let voice = &VOICES[weighted(&mut rng, VOICES.iter().map(|v| v.weight))];
            let mut attempts = 0;
            let text = loop {
                let text = slip(compose(theme, shape, voice, &mut rng), &mut rng);
                attempts += 1;
                // Bounded, so content too thin to be original shows up as a failing test
                // (spurious campaigns) rather than as a demo that never starts.
                if written.admit(&text) || attempts == ATTEMPTS {
                    break text;
                }
            };
            Answer {
                text,
                organisation,
                theme,
                campaign: None,
            }
        })
        .collect()
}

/// Compositions drawn for one answer before the last is kept whatever it is.
const ATTEMPTS: usize = 50;

/// Turns down a composition that would make a third near-copy. People writing on their own
/// rarely send the same sentences word for word, but parts drawn from finite lists line up
/// now and then, and the engine rightly takes three near-copies of one text for a campaign.
/// So two answers may be close (two neighbours can write alike), never three: an answer may
/// have at most one close partner. Closeness is the engine's test (exact copies; shared
/// three-word sequences), a little looser, so that anything the engine would join is close
/// here too.
#[derive(Default)]
struct Originality {
    /// Admitted answers (by number) containing each three-word sequence.
    postings: HashMap<u64, Vec<u32>>,
    /// Distinct three-word sequences in each admitted answer.
    sizes: Vec<usize>,
    /// Whether each admitted answer already has a close partner.
    paired: Vec<bool>,
    /// Admitted answers by word sequence.
    exact: HashMap<u64, u32>,
}

/// Two answers sharing at least this many three-word sequences…
const MIN_SHARED: usize = textkit::campaigns::MIN_SHARED - 1;
/// …that are also at least this share of the shorter answer's are close. (A little below the
/// engine's: this splits words slightly differently.)
const MIN_OVERLAP: f64 = textkit::campaigns::MIN_OVERLAP - 0.1;

impl Originality {
    /// Records `text` and returns true, unless it is close to two recorded answers or to one
    /// that already has a partner. Answers too short to be a campaign may repeat at will:
    /// "Cheaper bus fares please." is common.
    fn admit(&mut self, text: &str) -> bool {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        if words.len() < textkit::corpus::MIN_CAMPAIGN_WORDS {
            return true;
        }
        let hash = |words: &[String]| {
            let mut h = DefaultHasher::new();
            words.hash(&mut h);
            h.finish()
        };
        let exact = hash(&words);
        let mut shingles: Vec<u64> = words.windows(3).map(hash).collect();
        shingles.sort_unstable();
        shingles.dedup();
        let mut shared: HashMap<u32, usize> = HashMap::new();
        for s in &shingles {
            for &a in self.postings.get(s).into_iter().flatten() {
                *shared.entry(a).or_default() += 1;
            }
        }
        let mut close: Vec<u32> = shared
            .into_iter()
            .filter(|&(a, n)| {
                let shorter = shingles.len().min(self.sizes[a as usize]);
                n >= MIN_SHARED && n as f64 >= MIN_OVERLAP * shorter as f64
            })
            .map(|(a, _)| a)
            .chain(self.exact.get(&exact).copied())
            .collect();
        close.sort_unstable();
        close.dedup();
        match close[..] {
            [] => {}
            [a] if !self.paired[a as usize] => self.paired[a as usize] = true,
            _ => return false,
        }
        let id = self.sizes.len() as u32;
        self.exact.insert(exact, id);
        self.sizes.push(shingles.len());
        self.paired.push(!close.is_empty());
        for s in shingles {
            self.postings.entry(s).or_default().push(id);
        }
        true
    }
}

/// What kind of answer someone writes.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// A few words: "Cheaper bus fares please."
    Wish,
    /// One sentence on what is wrong.
    Complaint,
    /// One sentence on what to do.
    Ask,
    /// Two or three sentences.
    Paragraph,
    /// Three to five sentences.
    Long,
    /// On behalf of a residents' group or charity.
    Organisation,
}

impl Shape {
    fn draw(organisation: bool, rng: &mut Rng) -> Shape {
        if organisation {
            return Shape::Organisation;
        }
        match rng.below(100) {
            0..6 => Shape::Wish,
            6..20 => Shape::Complaint,
            20..26 => Shape::Ask,
            26..66 => Shape::Paragraph,
            _ => Shape::Long,
        }
    }
}

/// An answer about `theme` in `shape`, in `voice` when written by an individual.
fn compose(theme: usize, shape: Shape, voice: &Voice, rng: &mut Rng) -> String {
    let t = &THEMES[theme];
    let long = match shape {
        Shape::Wish => return format!("{}{}", one_of(t.wishes, rng), rng.pick(SHORT_ENDINGS)),
        Shape::Complaint => return complaint(t, voice.prefixes, 0.5, rng),
        Shape::Ask => return one_of(t.asks, rng),
        Shape::Organisation => return organisation_answer(t, rng),
        Shape::Paragraph => false,
        Shape::Long => true,
    };
    let mut sentences = Vec::new();
    if long && chance(rng, 0.6) {
        let opener = if chance(rng, 0.3) {
            *rng.pick(INTRODUCTIONS)
        } else {
            *rng.pick(voice.openers)
        };
        sentences.push(expand(&opener.replace("{topic}", t.topic), rng));
    }
    sentences.push(complaint(t, voice.prefixes, 0.3, rng));
    if long || chance(rng, 0.5) {
        sentences.push(one_of(t.consequences, rng));
    }
    if long || sentences.len() == 1 {
        sentences.push(one_of(t.asks, rng));
    }
    if chance(rng, if long { 0.15 } else { 0.1 }) {
        sentences.push(second_point(theme, rng));
    }
    if sentences.len() < 5 && chance(rng, if long { 0.5 } else { 0.3 }) {
        sentences.push(one_of(voice.closers, rng));
    }
    sentences.join(" ")
}

/// A residents' group or charity: who they are, what their members say, what to do.
fn organisation_answer(t: &Theme, rng: &mut Rng) -> String {
    let mut sentences = Vec::new();
    if chance(rng, 0.7) {
        sentences.push(one_of(ORGANISATION_INTROS, rng));
    }
    sentences.push(complaint(t, ORGANISATION_PREFIXES, 0.5, rng));
    if chance(rng, 0.6) {
        sentences.push(one_of(ORGANISATION_EVIDENCE, rng));
    }
    sentences.push(one_of(t.asks, rng));
    if chance(rng, 0.5) {
        sentences.push(one_of(ORGANISATION_CLOSERS, rng));
    }
    sentences.join(" ")
}

/// One of the theme's complaints, led in by one of `prefixes` with probability `p`.
fn complaint(t: &Theme, prefixes: &[&str], p: f64, rng: &mut Rng) -> String {
    let text = one_of(t.complaints, rng);
    if chance(rng, p) {
        format!("{}{}", one_of(prefixes, rng), lower_first(&text))
    } else {
        text
    }
}

/// A complaint about another theme: people often add "and another thing".
fn second_point(theme: usize, rng: &mut Rng) -> String {
    let other = (theme + 1 + rng.below(THEMES.len() - 1)) % THEMES.len();
    let text = one_of(THEMES[other].complaints, rng);
    format!("{}{}", rng.pick(JOINERS), lower_first(&text))
}

/// A supporter's copy of a campaign letter: often sent as it is, otherwise with a personal
/// first line, a sentence left out or a name signed, as people do when a group circulates one.
fn campaign_copy(letter: &Letter, rng: &mut Rng) -> String {
    let mut sentences: Vec<String> = letter.sentences.iter().map(|s| s.to_string()).collect();
    if chance(rng, 0.4) {
        return sentences.join(" ");
    }
    let mut edited = false;
    if chance(rng, 0.35) {
        // Never the first sentence: it says what the letter is for.
        sentences.remove(1 + rng.below(sentences.len() - 1));
        edited = true;
    }
    if chance(rng, 0.5) {
        let line = if chance(rng, 0.5) {
            rng.pick(letter.personal)
        } else {
            rng.pick(FIRST_LINES)
        };
        sentences.insert(0, expand(line, rng));
        edited = true;
    }
    if !edited || chance(rng, 0.5) {
        sentences.push(one_of(SIGN_OFFS, rng));
    }
    sentences.join(" ")
}

/// The small share of answers with a spelling slip, a lower-case start or no full stop.
fn slip(mut text: String, rng: &mut Rng) -> String {
    if chance(rng, 0.08) {
        let start = rng.below(MISSPELLINGS.len());
        let found = (0..MISSPELLINGS.len())
            .map(|i| MISSPELLINGS[(start + i) % MISSPELLINGS.len()])
            .find(|(right, _)| text.contains(right));
        if let Some((right, wrong)) = found {
            text = text.replacen(right, wrong, 1);
        }
    }
    if chance(rng, 0.05) {
        text = lower_first(&text);
    }
    if chance(rng, 0.06) && text.ends_with('.') {
        text.pop();
    }
    text
}

/// One of `templates`, expanded.
fn one_of(templates: &[&str], rng: &mut Rng) -> String {
    let template = *rng.pick(templates);
    expand(template, rng)
}

/// Expands a template: each `[a|b]` becomes one of its options, then each `{slot}` a local
/// detail (slots may sit inside options); the result starts with a capital, as every template
/// is a sentence or a lead-in.
fn expand(template: &str, rng: &mut Rng) -> String {
    let chosen = replace_delimited(
        template,
        '[',
        ']',
        |inner, rng| {
            let options: Vec<&str> = inner.split('|').collect();
            options[rng.below(options.len())].to_string()
        },
        rng,
    );
    upper_first(&replace_delimited(&chosen, '{', '}', slot, rng))
}

/// `text` with every `open…close` span replaced by `with(span, rng)`.
fn replace_delimited(
    text: &str,
    open: char,
    close: char,
    with: impl Fn(&str, &mut Rng) -> String,
    rng: &mut Rng,
) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        out.push_str(&rest[..start]);
        let end = start
            + rest[start..]
                .find(close)
                .unwrap_or_else(|| panic!("unclosed {open} in {text:?}"));
        out.push_str(&with(&rest[start + 1..end], rng));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A local detail for `{name}` in a template.
fn slot(name: &str, rng: &mut Rng) -> String {
    let between =
        |rng: &mut Rng, low: usize, high: usize| (low + rng.below(high - low + 1)).to_string();
    match name {
        "area" => rng.pick(AREAS).to_string(),
        "street" => rng.pick(STREETS).to_string(),
        "route" => rng.pick(ROUTES).to_string(),
        "weeks" => rng
            .pick(&["two", "three", "four", "five", "six"])
            .to_string(),
        "age" => between(rng, 71, 93),
        "grown" => between(rng, 24, 37),
        "lived" => between(rng, 2, 45),
        "waited" => between(rng, 3, 9),
        "members" => format!("{}0", between(rng, 3, 40)),
        "fare" => format!("£{}.{}0", between(rng, 4, 7), rng.below(10)),
        "monthly" => format!("£{}", between(rng, 150, 230)),
        "organisation" => rng.pick(ORGANISATIONS).to_string(),
        "first" => rng.pick(FIRST_NAMES).to_string(),
        "name" => format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES)),
        _ => panic!("unknown slot {{{name}}}"),
    }
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

fn chance(rng: &mut Rng, p: f64) -> bool {
    rng.next_f64() < p
}

/// An index drawn in proportion to `weights`.
fn weighted(rng: &mut Rng, weights: impl Iterator<Item = usize> + Clone) -> usize {
    let mut r = rng.below(weights.clone().sum());
    for (i, w) in weights.enumerate() {
        if r < w {
            return i;
        }
        r -= w;
    }
    unreachable!("r is below the sum of the weights")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_same_seed_gives_the_same_answers() {
        let texts = |seed| {
            generate(500, seed)
                .into_iter()
                .map(|a| a.text)
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(9), texts(9));
        assert_ne!(texts(9), texts(10));
    }

    #[test]
    fn campaigns_are_planted_at_about_the_share_asked() {
        let answers = generate(4000, 2026);
        let planted: Vec<usize> = answers.iter().filter_map(|a| a.campaign).collect();
        let share = planted.len() as f64 / answers.len() as f64;
        assert!((0.045..=0.075).contains(&share), "campaign share {share}");
        for c in 0..LETTERS.len() {
            assert!(planted.contains(&c), "campaign {c} has no copies");
        }
    }

    #[test]
    fn ordinary_answers_are_mostly_distinct() {
        let answers = generate(4000, 2026);
        let ordinary: Vec<&str> = answers
            .iter()
            .filter(|a| a.campaign.is_none())
            .map(|a| a.text.as_str())
            .collect();
        let distinct = ordinary.iter().collect::<HashSet<_>>().len();
        let share = distinct as f64 / ordinary.len() as f64;
        assert!(share >= 0.9, "distinct share {share}");
    }

    #[test]
    fn answers_are_well_formed() {
        for a in generate(4000, 2026) {
            let t = &a.text;
            assert!(t.starts_with(|c: char| c.is_alphabetic()), "{t:?}");
            assert!(
                !t.contains("  ") && !t.contains(" ,") && !t.contains(" ."),
                "{t:?}"
            );
            assert!(!t.contains(['[', ']', '{', '}', '|']), "{t:?}");
            assert!(!t.ends_with(' '), "{t:?}");
        }
    }

    /// Complaints follow prefixes and joiners lower-cased, so each must start with an
    /// ordinary capitalised word ("The", "A", not "I", "GP" or a place name).
    #[test]
    fn complaints_can_follow_a_prefix() {
        let mut rng = Rng::new(1);
        for t in &THEMES {
            for c in t.complaints {
                for _ in 0..20 {
                    let text = expand(c, &mut rng);
                    let first = text.split(|c: char| !c.is_alphabetic()).next().unwrap();
                    let mut chars = first.chars();
                    assert!(chars.next().is_some_and(char::is_uppercase), "{text:?}");
                    assert!(chars.all(char::is_lowercase) && first != "I", "{text:?}");
                }
            }
        }
    }

    /// What the demo's analysis will find: the planted campaigns and nothing else (composed
    /// answers are not close enough to look organised), and themes that `nice_label` names
    /// after what their answers were written about.
    #[test]
    fn the_engine_finds_the_planted_campaigns_and_the_themes() {
        let answers = generate(3000, 2026);
        let responses: Vec<textkit::Response> = answers
            .iter()
            .enumerate()
            .map(|(i, a)| textkit::Response::new(i.to_string(), a.text.clone(), None))
            .collect();
        let analysis = textkit::analyse(&responses, &textkit::Config::default());
        let members = |ids: &[String]| -> Vec<&Answer> {
            ids.iter()
                .map(|i| &answers[i.parse::<usize>().unwrap()])
                .collect()
        };

        assert_eq!(
            analysis.campaigns.len(),
            LETTERS.len(),
            "{:#?}",
            analysis.campaigns
        );
        for found in &analysis.campaigns {
            let members = members(&found.members);
            let c = members[0].campaign.expect("a planted copy");
            assert!(members.iter().all(|a| a.campaign == Some(c)));
            let planted = answers.iter().filter(|a| a.campaign == Some(c)).count();
            assert!(
                members.len() * 10 >= planted * 9,
                "{} of {planted}",
                members.len()
            );
        }

        const LABELS: [&str; 8] = [
            "Bus services",
            "Getting a GP appointment",
            "Library opening hours",
            "Roads, potholes and cycle lanes",
            "Council tax and the budget",
            "Recycling and bin collections",
            "Care for older people",
            "Affordable housing",
        ];
        let mut named = HashSet::new();
        for (i, theme) in analysis.themes.iter().enumerate() {
            let mut written = [0; THEMES.len()];
            for a in members(&theme.members) {
                written[a.theme] += 1;
            }
            let most = (0..THEMES.len()).max_by_key(|&t| written[t]).unwrap();
            let label = super::super::listening::nice_label(&theme.keywords);
            // The demo renames the four largest themes; smaller ones may keep the engine's.
            if i < 4 || label.is_some() {
                assert_eq!(label.as_deref(), Some(LABELS[most]), "{:?}", theme.keywords);
            }
            named.extend(label);
        }
        assert_eq!(named.len(), THEMES.len(), "every theme is found: {named:?}");
    }
}
